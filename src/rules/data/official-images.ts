/**
 * Docker Hub "official images" (the library/ namespace) that publish tags made of words W014 otherwise
 * reads as developer builds: debian:testing, ubuntu:devel, fedora:rawhide-like channels, python:3.14-rc.
 * An unqualified reference to one of these with such a tag is a real, pullable image.
 * Source: https://hub.docker.com/u/library (tag lists of each repository), https://github.com/docker-library/official-images/tree/master/library
 */
export const OFFICIAL_IMAGES_WITH_CHANNEL_TAGS: ReadonlySet<string> = new Set([
  "debian",
  "ubuntu",
  "fedora",
  "alpine",
  "busybox",
  "buildpack-deps",
  "python",
  "node",
  "golang",
  "ruby",
  "php",
  "gcc",
  "perl",
  "rust",
  "openjdk",
  "eclipse-temurin",
  "nginx",
  "httpd",
  "redis",
  "postgres",
  "mysql",
  "mariadb",
  "mongo",
  "docker",
  "kibana",
  "elasticsearch",
  "traefik",
  "haproxy",
]);

import { describe, expect, it } from "vitest";
import { analyseArgv, dockerAssignments, splitShell } from "../../../../src/rules/workload/shell.js";
import { canonicalHostPath, normalizePath, parseImage } from "../../../../src/rules/workload/util.js";

const kinds = (argv: string[]) => analyseArgv(argv).map((u) => `${u.kind}@${u.el}${u.host ? ":host" : ""}`);
const sh = (script: string) => kinds(["sh", "-c", script]);

describe("splitShell", () => {
  it("splits on ; && || | and newlines, keeps quoted text together", () => {
    const cmds = splitShell(`a 'b c' "d;e" && f | g; h || i\nj`, 0).map((c) => c.map((w) => w.text));
    expect(cmds).toEqual([["a", "b c", "d;e"], ["f"], ["g"], ["h"], ["i"], ["j"]]);
  });

  it("lifts $(...) and backtick commands out, even inside double quotes", () => {
    const cmds = splitShell('echo "id=$(docker ps -q)" `docker info`', 3).map((c) => c.map((w) => w.text));
    expect(cmds[0]?.[0]).toBe("echo");
    expect(cmds.slice(1)).toEqual([
      ["docker", "ps", "-q"],
      ["docker", "info"],
    ]);
  });

  it("marks redirect targets and drops comments", () => {
    const cmds = splitShell("cat x >/etc/docker/daemon.json 2>&1 # docker ps", 0);
    // `2>&1` is one redirection: the fd number is dropped and `&` does not end the command.
    expect(cmds.map((c) => c.map((w) => `${w.redirect ? ">" : ""}${w.text}`))).toEqual([
      ["cat", "x", ">/etc/docker/daemon.json", ">1"],
    ]);
    expect(cmds.flat().some((w) => w.text === "ps")).toBe(false);
  });
});

describe("analyseArgv", () => {
  it("finds the docker CLI as argv[0], by absolute path, behind env/sudo/exec/timeout", () => {
    expect(kinds(["docker", "ps"])).toEqual(["docker-cli@0"]);
    expect(kinds(["/usr/bin/docker", "ps"])).toEqual(["docker-cli@0"]);
    expect(sh("FOO=1 BAR=2 docker ps")).toEqual(["docker-cli@2"]);
    expect(sh("sudo -u root -E docker ps")).toEqual(["docker-cli@2"]);
    expect(sh("exec docker events")).toEqual(["docker-cli@2"]);
    expect(sh("env -i PATH=/bin timeout 10 docker ps")).toEqual(["docker-cli@2"]);
    expect(sh("docker ps -q | xargs -n1 docker rm")).toEqual(["docker-cli@2", "docker-cli@2"]);
  });

  it("unwraps command wrappers and their flags: watch, su -c, runuser, sudo, doas, timeout, nice, env, xargs, flock, nohup, setsid", () => {
    expect(sh("watch -n 5 docker ps")).toEqual(["docker-cli@2"]);
    expect(sh("watch --interval=10 -d 'docker ps | wc -l'")).toEqual(["docker-cli@2"]);
    expect(kinds(["watch", "-n", "2", "docker", "stats", "--no-stream"])).toEqual(["docker-cli@3"]);
    expect(kinds(["watch", "-x", "docker", "ps"])).toEqual(["docker-cli@2"]);
    expect(sh("su -c 'docker ps' root")).toEqual(["docker-cli@2"]);
    expect(sh("su - root -c 'systemctl restart docker'")).toEqual(["service@2"]);
    expect(sh("su -s /bin/bash -lc 'docker info' app")).toEqual(["docker-cli@2"]);
    expect(sh("su --command='docker ps' app")).toEqual(["docker-cli@2"]);
    expect(sh("runuser -u app -- docker ps")).toEqual(["docker-cli@2"]);
    expect(sh("sudo -n -E -u root docker ps")).toEqual(["docker-cli@2"]);
    expect(sh("doas -u root docker ps")).toEqual(["docker-cli@2"]);
    expect(sh("timeout -k 5 --signal=TERM 30s docker pull x")).toEqual(["docker-cli@2"]);
    expect(sh("nice -n 19 ionice -c 3 docker system prune -f")).toEqual(["docker-cli@2"]);
    expect(sh("env -u FOO DOCKER_CONFIG=/x docker login")).toEqual(["docker-cli@2"]);
    expect(sh("docker ps -aq | xargs -r -n 1 -I{} docker rm {}")).toEqual(["docker-cli@2", "docker-cli@2"]);
    expect(sh("flock -w 10 /tmp/lock docker image prune -f")).toEqual(["docker-cli@2"]);
    expect(sh("flock -n /tmp/lock -c 'docker ps'")).toEqual(["docker-cli@2"]);
    expect(sh("flock -c 'docker ps' /tmp/lock")).toEqual(["docker-cli@2"]);
    expect(sh("nohup setsid docker events &")).toEqual(["docker-cli@2"]);
    // Wrappers around something else stay quiet.
    expect(sh("watch -n 5 'echo docker'")).toEqual([]);
    expect(sh("su -c 'id' docker")).toEqual([]);
    expect(sh("flock /var/lock/docker.lock true")).toEqual([]);
  });

  it("records the endpoint a script gives the docker CLI: inline DOCKER_HOST, export, -H", () => {
    const ep = (s: string) => analyseArgv(["sh", "-c", s]).map((u) => `${u.kind}:${u.endpoint ?? "-"}`);
    expect(ep("DOCKER_HOST=tcp://localhost:2375 docker ps")).toEqual(["docker-cli:tcp://localhost:2375"]);
    expect(ep("export DOCKER_HOST=tcp://dind:2376; docker build .")).toEqual(["docker-cli:tcp://dind:2376"]);
    expect(ep("DOCKER_HOST=unix:///var/run/docker.sock; docker ps")).toEqual([
      "docker-cli:unix:///var/run/docker.sock",
    ]);
    expect(ep("docker -H tcp://127.0.0.1:2375 info")).toEqual(["docker-cli:tcp://127.0.0.1:2375"]);
    expect(ep("docker --host=unix:///run/docker.sock info")).toEqual([
      "socket-arg:-",
      "docker-cli:unix:///run/docker.sock",
    ]);
    // An inline assignment applies to its own command only.
    expect(ep("DOCKER_HOST=tcp://localhost:2375 true; docker ps")).toEqual(["docker-cli:-"]);
    // Exported into a child shell.
    expect(ep("DOCKER_HOST=tcp://localhost:2375 sh -c 'docker ps'")).toEqual([
      "docker-cli:tcp://localhost:2375",
    ]);
    expect(
      dockerAssignments(["sh", "-c", "export DOCKER_HOST=tcp://x:2375 FOO=1; DOCKER_TLS_VERIFY=1 docker ps"]),
    ).toEqual([
      { name: "DOCKER_HOST", value: "tcp://x:2375", el: 2 },
      { name: "DOCKER_TLS_VERIFY", value: "1", el: 2 },
    ]);
  });

  it("finds Windows named pipes and daemon.json paths in arguments", () => {
    expect(kinds(["agent.exe", "--docker-endpoint", "npipe:////./pipe/docker_engine"])).toEqual([
      "socket-arg@2",
    ]);
    expect(kinds(["agent.exe", "--docker=\\\\.\\pipe\\docker_engine"])).toEqual(["socket-arg@1"]);
    expect(kinds(["powershell", "Get-Content", "C:\\ProgramData\\docker\\config\\daemon.json"])).toEqual([
      "daemon-json@2",
    ]);
    expect(kinds(["agent.exe", "--cri=npipe:////./pipe/containerd-containerd", "--docker-compat"])).toEqual(
      [],
    );
  });

  it("unwraps nested shells: bash -lc, sh -ec, -o pipefail, and shells in shells", () => {
    expect(kinds(["bash", "-lc", "docker ps"])).toEqual(["docker-cli@2"]);
    expect(kinds(["/bin/sh", "-ec", "docker ps"])).toEqual(["docker-cli@2"]);
    expect(kinds(["bash", "-o", "pipefail", "-c", "docker ps | wc -l"])).toEqual(["docker-cli@4"]);
    expect(sh(`bash -c "sh -c 'docker info'"`)).toEqual(["docker-cli@2"]);
  });

  it("marks nsenter/chroot as acting on the host", () => {
    expect(kinds(["nsenter", "-t", "1", "-m", "--", "docker", "ps"])).toEqual(["docker-cli@5:host"]);
    expect(kinds(["nsenter", "--target", "1", "--mount", "sh", "-c", "dockerd &"])).toEqual([
      "dockerd@6:host",
    ]);
    expect(sh("chroot /host systemctl restart docker")).toEqual(["service@2:host"]);
  });

  it("finds service management of docker", () => {
    expect(sh("systemctl restart docker.service")).toEqual(["service@2"]);
    expect(sh("systemctl --no-block stop docker")).toEqual(["service@2"]);
    expect(sh("service docker restart")).toEqual(["service@2"]);
    expect(sh("/etc/init.d/docker restart")).toEqual(["service@2"]);
    expect(sh("pkill -HUP dockerd")).toEqual(["signal@2"]);
    expect(sh("systemctl restart containerd")).toEqual([]);
    expect(sh("systemctl daemon-reload")).toEqual([]);
  });

  it("finds daemon.json reads/writes and docker.sock arguments by path, not by text", () => {
    expect(sh("cat > /etc/docker/daemon.json")).toEqual(["daemon-json@2"]);
    expect(sh("jq . /host/etc/docker/daemon.json")).toEqual(["daemon-json@2"]);
    expect(kinds(["--docker=unix:///var/run/docker.sock"])).toEqual(["socket-arg@0"]);
    expect(sh('echo "see /etc/docker/daemon.json"')).toEqual([]);
  });

  it("does not fire on lookalikes", () => {
    for (const s of [
      "echo docker",
      "docker-compose up",
      "dockerize -wait tcp://db:5432",
      "my-docker-tool --docker-flag",
      "command -v docker",
      "which docker",
      "# docker ps",
      "printf 'docker ps'",
      "./docker-entrypoint.sh",
    ]) {
      expect(sh(s), s).toEqual([]);
    }
  });

  it("survives unbalanced quotes and substitutions without throwing", () => {
    expect(() => sh('docker ps "unterminated')).not.toThrow();
    expect(() => sh("echo $(docker ps")).not.toThrow();
    expect(() => sh("echo `docker ps")).not.toThrow();
    expect(() => sh("a\\")).not.toThrow();
  });
});

describe("path and image helpers", () => {
  it("normalises paths lexically and folds /var/run into /run", () => {
    expect(normalizePath("//var//run/./x/../docker.sock/")).toBe("/var/run/docker.sock");
    expect(normalizePath("/../..")).toBe("/");
    expect(canonicalHostPath("/var/run/")).toBe("/run");
    expect(canonicalHostPath("/var/runner")).toBe("/var/runner");
  });

  it("splits image references into registry and path components", () => {
    expect(parseImage("gcr.io/datadoghq/agent:7.52.0")).toEqual({
      registry: "gcr.io",
      path: ["datadoghq", "agent"],
      tag: "7.52.0",
      imageId: false,
    });
    expect(parseImage(`localhost:5000/app@sha256:${"b".repeat(64)}`)).toEqual({
      registry: "localhost:5000",
      path: ["app"],
      digest: `sha256:${"b".repeat(64)}`,
      imageId: false,
    });
    expect(parseImage("nginx").path).toEqual(["nginx"]);
    expect(parseImage("index.docker.io/library/nginx:1.27")).toEqual({
      registry: "docker.io",
      path: ["library", "nginx"],
      tag: "1.27",
      imageId: false,
    });
    expect(parseImage(`sha256:${"a".repeat(64)}`).imageId).toBe(true);
    // The reference parser's grammar decides: not a reference, so it matches no repository.
    expect(parseImage("localhost:5000/app@sha256:abc")).toEqual({ path: [], imageId: false, invalid: true });
    expect(parseImage("Datadog/Agent:7").invalid).toBe(true);
  });
});

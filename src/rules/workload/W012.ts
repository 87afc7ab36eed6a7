/**
 * W012 seccomp-docker-default: seccomp set through the alpha annotations, or the `docker/default` profile.
 * - `docker/default` was deprecated in favour of `runtime/default` in 1.11
 *   (https://github.com/kubernetes/kubernetes/pull/62662).
 * - Kubelets stopped honouring the annotations in 1.25 (https://github.com/kubernetes/kubernetes/pull/109819)
 *   and they were removed completely in 1.27, fields no longer being populated from them
 *   (https://github.com/kubernetes/kubernetes/pull/114947). A pod that relies on them runs Unconfined.
 * Field mapping (the API server's former SeccompFieldForAnnotation): runtime/default and docker/default ->
 * RuntimeDefault, localhost/<p> -> Localhost + localhostProfile <p>, unconfined -> Unconfined.
 */
import type { WorkloadRule } from "../../core/rule.js";
import type { Hit, Severity } from "../../core/types.js";
import { atLeastMinor, formatVersion } from "../../core/version.js";

const POD_KEY = "seccomp.security.alpha.kubernetes.io/pod";
const CONTAINER_PREFIX = "container.seccomp.security.alpha.kubernetes.io/";

/** The securityContext.seccompProfile equivalent of an annotation value, as YAML text. */
export function seccompFieldFor(value: string): string | undefined {
  const v = value.trim();
  if (v === "runtime/default" || v === "docker/default") return "seccompProfile: {type: RuntimeDefault}";
  if (v === "unconfined") return "seccompProfile: {type: Unconfined}";
  if (v.startsWith("localhost/") && v.length > "localhost/".length) {
    return `seccompProfile: {type: Localhost, localhostProfile: ${v.slice("localhost/".length)}}`;
  }
  return undefined;
}

export const W012: WorkloadRule = {
  id: "W012",
  slug: "seccomp-docker-default",
  title: "Seccomp set by annotation or with the docker/default profile",
  category: "workload",
  description:
    "The pod template sets seccomp through the seccomp.security.alpha.kubernetes.io annotations (ignored by " +
    "kubelets since Kubernetes 1.25, removed in 1.27) or names the docker/default profile (deprecated since " +
    "1.11). Without a securityContext.seccompProfile field the pod silently runs Unconfined.",
  remediation:
    "Set securityContext.seccompProfile instead: type RuntimeDefault for runtime/default or docker/default, " +
    "type Localhost with localhostProfile for localhost/<profile>; then delete the annotation.",
  defaultSeverity: "high",
  check(workload, ctx) {
    const tpl = workload.template;
    const k8s = ctx.target.kubernetes;
    const ignoredByKubelet = atLeastMinor(k8s, 1, 25);
    const hits: Hit[] = [];
    for (const [key, value] of Object.entries(tpl.annotations)) {
      let containerName: string | undefined;
      let covered: boolean;
      let orphan = false;
      if (key === POD_KEY) {
        covered =
          tpl.seccompProfileType !== undefined ||
          (tpl.containers.length > 0 && tpl.containers.every((c) => c.seccompProfileType !== undefined));
      } else if (key.startsWith(CONTAINER_PREFIX)) {
        containerName = key.slice(CONTAINER_PREFIX.length);
        const c = tpl.containers.find((x) => x.name === containerName);
        // An annotation naming no container never applied to anything: nothing runs Unconfined because of it.
        orphan = c === undefined;
        covered = tpl.seccompProfileType !== undefined || c?.seccompProfileType !== undefined;
      } else {
        continue;
      }
      const v = value.trim();
      const dockerDefault = v === "docker/default";
      const field = seccompFieldFor(v);
      let severity: Severity;
      let why: string;
      if (orphan) {
        severity = "low";
        why = `There is no container named "${containerName}" in this pod template, so the annotation applies to nothing; it is stale metadata`;
      } else if (v === "unconfined") {
        severity = "info";
        why = "It asks for Unconfined, which is what the pod gets anyway once the annotation is ignored";
      } else if (!ignoredByKubelet) {
        severity = "low";
        why = `Kubernetes ${formatVersion(k8s)} still honours it, but kubelets ignore it from 1.25 and it is removed in 1.27`;
      } else if (covered) {
        severity = "low";
        why = `The seccompProfile field is also set, so only the stale annotation is left (ignored from 1.25, removed in 1.27)`;
      } else {
        severity = "high";
        why =
          `Target Kubernetes ${formatVersion(k8s)} ignores this annotation (since 1.25; removed in 1.27) and no ` +
          "securityContext.seccompProfile is set, so the " +
          (containerName ? `container "${containerName}"` : "pod") +
          " silently runs Unconfined";
      }
      const hit: Hit = {
        severity,
        path: tpl.annotationPaths?.[key] ?? [...(tpl.metadataPath ?? ["metadata"]), "annotations", key],
        message: `annotation ${key}: ${value}${dockerDefault ? " uses the docker/default profile (deprecated since 1.11)" : ""}. ${why}.`,
        remediation: orphan
          ? "Delete the annotation: it names no container of this pod template."
          : field
            ? `Set ${containerName ? `spec.containers[name=${containerName}].securityContext` : "spec.securityContext"}.${field} and remove the annotation.`
            : `"${v}" has no field equivalent; choose RuntimeDefault or a Localhost profile in securityContext.seccompProfile and remove the annotation.`,
        evidence: { annotation: key, value },
      };
      if (containerName && tpl.containers.some((c) => c.name === containerName))
        hit.container = containerName;
      hits.push(hit);
    }
    return hits;
  },
  checkObject(object) {
    // PodSecurityPolicy (removed in 1.25) carried profile lists in annotations; docker/default there is stale too.
    const hits: Hit[] = [];
    for (const [key, value] of Object.entries(object.annotations)) {
      if (!key.startsWith("seccomp.security.alpha.kubernetes.io/")) continue;
      if (!value.split(",").some((v) => v.trim() === "docker/default")) continue;
      hits.push({
        severity: "low",
        path: ["metadata", "annotations", key],
        message: `${object.kind} annotation ${key} lists docker/default, deprecated since Kubernetes 1.11 in favour of runtime/default.`,
        remediation:
          "Use runtime/default here, or better move to Pod Security Admission and securityContext.seccompProfile type RuntimeDefault.",
        evidence: { annotation: key, value },
      });
    }
    return hits;
  },
};

/**
 * W010 docker-in-docker: the pod runs its own Docker daemon (docker:*dind* images, dockerd as the
 * command). Informational: DinD does not depend on the node runtime, which is why teams chose it as the
 * short-term answer in https://github.com/aws-containers/kubectl-detector-for-docker-socket/issues/7, but
 * it needs a privileged container, worth reviewing when the runtime and its security posture change.
 */
import type { WorkloadRule } from "../../core/rule.js";
import type { Hit } from "../../core/types.js";
import { containerFieldPath } from "../../core/workload.js";
import { configTexts } from "./configdata.js";
import { runnerContainers } from "./runnerconfig.js";
import { analyseArgv } from "./shell.js";
import { isDindImage } from "./signs.js";
import { imagePath, pathText } from "./util.js";

export const W010: WorkloadRule = {
  id: "W010",
  slug: "docker-in-docker",
  title: "Docker-in-Docker daemon in the pod",
  category: "workload",
  description:
    "A container runs its own dockerd (a docker:dind image or dockerd as its command). It keeps working " +
    "on containerd or CRI-O nodes because it does not use the node's runtime, but it usually runs " +
    "privileged, with its own image cache and storage.",
  remediation:
    "Nothing is required for the runtime change. Consider a rootless or daemonless builder (kaniko, " +
    "buildah, BuildKit rootless, docker:dind-rootless) so the pod no longer needs privileged mode.",
  defaultSeverity: "low",
  check(workload) {
    const hits: Hit[] = [];
    for (const c of workload.template.containers) {
      const argv = [...c.command, ...c.args];
      const daemon = analyseArgv(argv).find((u) => u.kind === "dockerd" && !u.host);
      const byImage = isDindImage(c.image);
      if (!byImage && !daemon) continue;
      const path = byImage
        ? imagePath(c)
        : daemon && daemon.el < c.command.length
          ? containerFieldPath(c, ["command", daemon.el])
          : containerFieldPath(c, ["args", (daemon?.el ?? 0) - c.command.length]);
      const what = byImage ? `image ${c.image}` : `"${daemon?.text}" (${pathText(path, workload)})`;
      hits.push({
        severity: c.privileged ? "low" : "info",
        path,
        container: c.name,
        message:
          `container "${c.name}" runs its own Docker daemon (${what}); it does not depend on the node runtime` +
          `${c.privileged ? ", but it runs privileged" : ""}.`,
        evidence: { image: c.image, privileged: String(c.privileged) },
      });
    }
    return hits;
  },
  checkObject(object) {
    const hits: Hit[] = [];
    for (const { key, text, path } of configTexts(object)) {
      for (const c of runnerContainers(text)) {
        const daemon = analyseArgv(c.argv).find((u) => u.kind === "dockerd" && !u.host);
        const byImage = isDindImage(c.image);
        if (!byImage && !daemon) continue;
        const what = byImage ? `image ${c.image}` : `"${daemon?.text}"`;
        hits.push({
          severity: c.privileged ? "low" : "info",
          path,
          message:
            `${object.kind} key "${key}" (${c.runner} config): the pods it creates run container "${c.name}", its own ` +
            `Docker daemon (${what}); it does not depend on the node runtime${c.privileged ? ", but it runs privileged" : ""}.`,
          evidence: {
            image: c.image,
            privileged: String(c.privileged),
            container: c.name,
            key,
            runner: c.runner,
          },
        });
      }
    }
    return hits;
  },
};

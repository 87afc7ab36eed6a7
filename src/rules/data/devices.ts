/**
 * Extended resources served by device plugins whose runtime integration must be set up again on the new
 * runtime (W015). The dockershim FAQ lists "GPUs or special hardware and how they integrate with your
 * runtime" among the things to check (https://kubernetes.io/blog/2022/02/17/dockershim-faq/); on Docker
 * nodes the NVIDIA integration was often Docker's `default-runtime: nvidia` in daemon.json, which
 * containerd and CRI-O do not read (https://docs.nvidia.com/datacenter/cloud-native/container-toolkit/latest/install-guide.html).
 * Hugepages and the built-in resources are not devices and are never matched.
 */

export interface DeviceRow {
  id: string;
  /** Matches the full resource name, e.g. "nvidia.com/gpu". */
  pattern: RegExp;
  what: string;
  source: string;
}

const FAQ = "https://kubernetes.io/blog/2022/02/17/dockershim-faq/";

export const DEVICE_RESOURCES: readonly DeviceRow[] = [
  {
    id: "nvidia",
    pattern: /^nvidia\.com\/(gpu|mig-[a-z0-9.-]+|gpu\.shared)$/,
    what: "NVIDIA GPU (needs the NVIDIA container toolkit configured for the new runtime, or CDI)",
    source:
      "https://docs.nvidia.com/datacenter/cloud-native/container-toolkit/latest/install-guide.html#configuring-containerd-for-kubernetes",
  },
  {
    id: "amd",
    pattern: /^amd\.com\/gpu$/,
    what: "AMD GPU",
    source: "https://github.com/ROCm/k8s-device-plugin",
  },
  {
    id: "intel",
    pattern: /^gpu\.intel\.com\/[a-z0-9_.-]+$/,
    what: "Intel GPU",
    source: "https://github.com/intel/intel-device-plugins-for-kubernetes",
  },
  {
    id: "neuron",
    pattern: /^aws\.amazon\.com\/neuron(core|device)?$/,
    what: "AWS Inferentia/Trainium (Neuron)",
    source: FAQ,
  },
  { id: "habana", pattern: /^habana\.ai\/gaudi$/, what: "Intel Gaudi accelerator", source: FAQ },
  { id: "fpga", pattern: /^[a-z0-9.-]+\/fpga[a-z0-9_.-]*$/, what: "FPGA", source: FAQ },
  {
    id: "generic-gpu",
    pattern: /^[a-z0-9.-]+\.[a-z]+\/gpu$/,
    what: "GPU (vendor device plugin)",
    source: FAQ,
  },
];

export function deviceOf(resource: string): DeviceRow | undefined {
  // Device plugin resources are always vendor-domain/name; cpu, memory, ephemeral-storage are not.
  if (!resource.includes("/")) return undefined;
  if (resource.startsWith("hugepages-") || resource.startsWith("kubernetes.io/")) return undefined;
  return DEVICE_RESOURCES.find((d) => d.pattern.test(resource));
}

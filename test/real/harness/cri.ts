/**
 * A small CRI client (runtime.v1 over gRPC on a unix socket) for the real suite: the kubelet's view of
 * an image pull. containerd serves the CRI on its main socket. There is no crictl on Debian 12, so
 * this speaks gRPC directly with @grpc/grpc-js and our own minimal proto (cri-v1.proto).
 * gRPC status codes: https://grpc.github.io/grpc/core/md_doc_statuscode.html
 */
import { fileURLToPath } from "node:url";
import * as grpc from "@grpc/grpc-js";
import * as protoLoader from "@grpc/proto-loader";

const PROTO = fileURLToPath(new URL("./cri-v1.proto", import.meta.url));

export type PullResult = { ok: true; imageRef: string } | { ok: false; code: number; message: string };

export interface CriImage {
  id: string;
  repoTags: string[];
  repoDigests: string[];
  size: string;
}

type Call<Req, Res> = (
  req: Req,
  meta: grpc.Metadata,
  opts: grpc.CallOptions,
  cb: (err: grpc.ServiceError | null, res: Res) => void,
) => void;

interface ImageServiceClient extends grpc.Client {
  pullImage: Call<{ image: { image: string } }, { imageRef: string }>;
  imageStatus: Call<{ image: { image: string }; verbose: boolean }, { image: CriImage | null }>;
  removeImage: Call<{ image: { image: string } }, Record<string, never>>;
  listImages: Call<Record<string, never>, { images: CriImage[] }>;
}

interface RuntimeServiceClient extends grpc.Client {
  version: Call<
    { version: string },
    { version: string; runtimeName: string; runtimeVersion: string; runtimeApiVersion: string }
  >;
}

type Ctor<T> = new (address: string, creds: grpc.ChannelCredentials) => T;

let pkg: { ImageService: Ctor<ImageServiceClient>; RuntimeService: Ctor<RuntimeServiceClient> } | undefined;

function load() {
  if (!pkg) {
    const def = protoLoader.loadSync(PROTO, {
      keepCase: false,
      longs: String,
      enums: String,
      defaults: true,
    });
    const root = grpc.loadPackageDefinition(def) as unknown as { runtime: { v1: typeof pkg } };
    pkg = root.runtime.v1;
    if (!pkg) throw new Error("cri-v1.proto did not define runtime.v1");
  }
  return pkg;
}

function invoke<Req, Res>(
  client: grpc.Client,
  fn: Call<Req, Res>,
  req: Req,
  timeoutMs: number,
): Promise<Res> {
  return new Promise((resolve, reject) => {
    fn.call(client, req, new grpc.Metadata(), { deadline: Date.now() + timeoutMs }, (err, res) =>
      err ? reject(err) : resolve(res),
    );
  });
}

function isServiceError(err: unknown): err is grpc.ServiceError {
  return typeof err === "object" && err !== null && "code" in err && "details" in err;
}

/** A CRI connection to one socket; close it when done. */
export class CriClient {
  private readonly images: ImageServiceClient;
  private readonly runtime: RuntimeServiceClient;

  constructor(socket: string) {
    const p = load();
    const address = `unix://${socket}`;
    this.images = new p.ImageService(address, grpc.credentials.createInsecure());
    this.runtime = new p.RuntimeService(address, grpc.credentials.createInsecure());
  }

  version(timeoutMs = 10_000) {
    return invoke(this.runtime, this.runtime.version, { version: "v1" }, timeoutMs);
  }

  /** PullImage as the kubelet sends it (no auth, no sandbox config). Never throws for a refused pull. */
  async pullImage(ref: string, timeoutMs = 60_000): Promise<PullResult> {
    try {
      const r = await invoke(this.images, this.images.pullImage, { image: { image: ref } }, timeoutMs);
      return { ok: true, imageRef: r.imageRef };
    } catch (err) {
      if (isServiceError(err)) return { ok: false, code: err.code, message: err.details };
      throw err;
    }
  }

  async imageStatus(ref: string, timeoutMs = 10_000): Promise<CriImage | undefined> {
    const r = await invoke(
      this.images,
      this.images.imageStatus,
      { image: { image: ref }, verbose: false },
      timeoutMs,
    );
    return r.image ?? undefined;
  }

  async removeImage(ref: string, timeoutMs = 10_000): Promise<void> {
    await invoke(this.images, this.images.removeImage, { image: { image: ref } }, timeoutMs);
  }

  close(): void {
    this.images.close();
    this.runtime.close();
  }
}

/** One-shot PullImage over `sock`: `{ ok: true, imageRef }` or `{ ok: false, code, message }`. */
export async function pullImage(sock: string, ref: string): Promise<PullResult> {
  const c = new CriClient(sock);
  try {
    return await c.pullImage(ref);
  } finally {
    c.close();
  }
}

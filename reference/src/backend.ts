import { mkdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import * as tf from "@tensorflow/tfjs-core";
import "@tensorflow/tfjs-backend-cpu";

/**
 * The reference backend ladder: native GPU, native CPU (both optional dependencies that cannot
 * install on every machine), WebGPU through Dawn (the optional `webgpu` package; taken by default
 * only on a hardware adapter), then WebAssembly, then plain JavaScript. TFM_TF_BACKEND forces one
 * rung (used by the backend agreement tests and by operators who want to pin it); a forced webgpu
 * rung accepts a software adapter (Mesa's llvmpipe), which is how CI runs it.
 */
export const BACKEND_LADDER = ["tensorflow-gpu", "tensorflow", "webgpu", "wasm", "cpu"] as const;
export type BackendName = (typeof BACKEND_LADDER)[number];

/** What runs the references, in words fit for /health, results and the bench report. */
export interface BackendInfo {
  name: BackendName;
  /** e.g. `wasm`, `webgpu (NVIDIA H100 80GB HBM3, vulkan)`, `webgpu (llvmpipe, software, opengles)`. */
  label: string;
  /** The rungs above the one taken, each with why it was passed over. */
  skipped: { rung: BackendName; reason: string }[];
}

let ready: Promise<BackendInfo> | null = null;

async function tryNative(pkg: string): Promise<string | null> {
  try {
    await import(/* @vite-ignore */ pkg);
  } catch (e) {
    return `package ${pkg} is not installed (${firstLine(e)})`;
  }
  try {
    return tf.findBackend("tensorflow") !== null && (await tf.setBackend("tensorflow")) ? null : `${pkg} loaded but its backend did not start`;
  } catch (e) {
    return `${pkg}: ${firstLine(e)}`;
  }
}

async function tryWasm(): Promise<string | null> {
  try {
    await import("@tensorflow/tfjs-backend-wasm");
    return (await tf.setBackend("wasm")) ? null : "the wasm backend did not start";
  } catch (e) {
    return `wasm: ${firstLine(e)}`;
  }
}

// ---------------------------------------------------------------------------------------------
// WebGPU (Dawn's Node binding, npm `webgpu`). Typed locally: the package is optional, so the
// program must typecheck without it, and only these few members are used.

interface AdapterInfo {
  vendor?: string;
  architecture?: string;
  device?: string;
  description?: string;
  isFallbackAdapter?: boolean;
}
interface Adapter {
  info?: AdapterInfo;
}
interface RequestAdapterOptions {
  powerPreference?: string;
  featureLevel?: string;
  [k: string]: unknown;
}
interface Gpu {
  requestAdapter(options?: RequestAdapterOptions): Promise<Adapter | null>;
}
interface DawnModule {
  create(flags: string[]): Gpu;
  globals: object;
}

/** Dawn's routes to a GPU, in the order tried: Vulkan (NVIDIA, AMD, Intel), then OpenGL ES over EGL. */
type WebgpuRoute = "vulkan" | "opengles";
const ROUTES: Record<WebgpuRoute, { flags: string[]; featureLevel: string }> = {
  vulkan: { flags: ["backend=vulkan"], featureLevel: "core" },
  // Dawn's GL backend offers only the "compatibility" feature level (no adapter is returned for core).
  opengles: { flags: ["backend=opengles"], featureLevel: "compatibility" },
};

/** TFM_WEBGPU_ROUTES (comma-separated, e.g. `vulkan`) narrows the routes tried; default: all, in order. */
function webgpuRoutes(): WebgpuRoute[] {
  const all = Object.keys(ROUTES) as WebgpuRoute[];
  const configured = process.env.TFM_WEBGPU_ROUTES;
  if (configured === undefined || configured.trim() === "") return all;
  const wanted = configured.split(",").map((r) => r.trim());
  const unknown = wanted.filter((r) => !all.some((a) => a === r));
  if (unknown.length > 0) throw new Error(`TFM_WEBGPU_ROUTES may name ${all.join(", ")}; got '${unknown.join(", ")}'`);
  return all.filter((r) => wanted.includes(r));
}

/** The adapter Dawn found, described, and whether it is a software renderer. */
export interface WebgpuAdapter {
  route: WebgpuRoute;
  name: string;
  software: boolean;
  label: string;
  /** What Dawn said, as it said it (kept for the GPU check's report). */
  info: { vendor: string; architecture: string; device: string; description: string };
}

const SOFTWARE_RENDERER = /llvmpipe|lavapipe|softpipe|swiftshader|swrast/i;

/**
 * A human name for the adapter. Dawn puts the device's name in `device` (GL: the renderer string,
 * e.g. "llvmpipe-llvm-15-0-6-256-bits-") and the driver in `description`; software renderers are
 * named by their renderer alone.
 */
export function describeAdapter(route: WebgpuRoute, info: AdapterInfo): WebgpuAdapter {
  const device = (info.device ?? "").trim();
  const description = (info.description ?? "").trim();
  const softwareMatch = SOFTWARE_RENDERER.exec(`${device} ${description}`);
  const software = info.architecture === "software" || info.isFallbackAdapter === true || softwareMatch !== null;
  const name = (softwareMatch !== null ? softwareMatch[0].toLowerCase() : device || description || info.vendor || "unknown adapter").slice(0, 80);
  return {
    route,
    name,
    software,
    label: `webgpu (${name}${software ? ", software" : ""}, ${route})`,
    info: { vendor: info.vendor ?? "", architecture: info.architecture ?? "", device, description },
  };
}

/** A configured directory for the GPU drivers' shader caches, so compiled shaders survive restarts. */
export function webgpuCacheDir(): string {
  const configured = process.env.TFM_WEBGPU_CACHE_DIR;
  if (configured !== undefined && configured !== "") return configured;
  // reference/src/backend.ts -> <repo>/node_modules/.cache/tfm-webgpu (ignored, and kept by npm ci's caches).
  return join(dirname(fileURLToPath(import.meta.url)), "..", "..", "node_modules", ".cache", "tfm-webgpu");
}

/**
 * Environment the drivers read when Dawn first loads them (before `create`): Mesa's EGL with no
 * display, and every shader cache in the configured directory, bounded. An operator's own values win.
 */
function prepareDriverEnv(): void {
  const dir = webgpuCacheDir();
  try {
    mkdirSync(dir, { recursive: true });
  } catch {
    // An unwritable cache only costs compile time; the drivers then run uncached.
  }
  const defaults: Record<string, string> = {
    EGL_PLATFORM: "surfaceless",
    MESA_SHADER_CACHE_DIR: join(dir, "mesa"),
    MESA_SHADER_CACHE_MAX_SIZE: "512M",
    __GL_SHADER_DISK_CACHE_PATH: join(dir, "nvidia"),
    __GL_SHADER_DISK_CACHE_SIZE: String(512 * 1024 * 1024),
  };
  for (const [k, v] of Object.entries(defaults)) if (process.env[k] === undefined || process.env[k] === "") process.env[k] = v;
}

type WebgpuRegistration = { adapter: WebgpuAdapter } | { reason: string };
let webgpuAttempt: { allowSoftware: boolean; result: Promise<WebgpuRegistration> } | null = null;

function isDawnModule(m: unknown): m is DawnModule {
  return typeof m === "object" && m !== null && "create" in m && typeof m.create === "function" && "globals" in m && typeof m.globals === "object";
}

async function findAdapter(dawn: DawnModule, allowSoftware: boolean): Promise<{ gpu: Gpu; adapter: WebgpuAdapter; options: RequestAdapterOptions } | { reason: string }> {
  const seen: string[] = [];
  for (const route of webgpuRoutes()) {
    const r = ROUTES[route];
    const options: RequestAdapterOptions = { powerPreference: "high-performance", featureLevel: r.featureLevel };
    let adapter: Adapter | null;
    let gpu: Gpu;
    try {
      gpu = dawn.create(r.flags);
      adapter = await gpu.requestAdapter(options);
    } catch (e) {
      seen.push(`${route}: ${firstLine(e)}`);
      continue;
    }
    if (adapter === null) {
      seen.push(`${route}: no adapter`);
      continue;
    }
    const described = describeAdapter(route, adapter.info ?? {});
    if (described.software && !allowSoftware) {
      seen.push(`${route}: only a software adapter (${described.name}); set TFM_TF_BACKEND=webgpu to use it`);
      continue;
    }
    return { gpu, adapter: described, options };
  }
  return { reason: `no ${allowSoftware ? "" : "hardware "}WebGPU adapter (${seen.join("; ")})` };
}

/**
 * Registers TensorFlow.js's webgpu backend on Dawn, once per process. The backend registers itself
 * only if `navigator.gpu` exists when it is imported, and asks for its adapter without a feature
 * level: `navigator.gpu` is therefore a thin wrapper that asks Dawn with the route's options.
 * Software adapters are refused unless `allowSoftware` (a forced rung, the tests).
 */
export async function registerWebgpu(allowSoftware: boolean): Promise<WebgpuRegistration> {
  if (webgpuAttempt !== null && allowSoftware && !webgpuAttempt.allowSoftware) {
    // A default-ladder attempt that found no hardware adapter changed nothing: a forced one may
    // take the software adapter it refused.
    const previous = await webgpuAttempt.result;
    if ("reason" in previous) webgpuAttempt = null;
  }
  webgpuAttempt ??= { allowSoftware, result: startWebgpu(allowSoftware) };
  return webgpuAttempt.result;
}

async function startWebgpu(allowSoftware: boolean): Promise<WebgpuRegistration> {
  const pkg = "webgpu";
  let mod: unknown;
  try {
    mod = await import(/* @vite-ignore */ pkg);
  } catch (e) {
    return { reason: `package webgpu is not installed (${firstLine(e)})` };
  }
  if (!isDawnModule(mod)) return { reason: "package webgpu does not export create() and globals" };
  prepareDriverEnv();
  const found = await findAdapter(mod, allowSoftware);
  if ("reason" in found) return found;
  const { gpu, options } = found;
  Object.assign(globalThis, mod.globals);
  const shim = {
    requestAdapter: (o?: RequestAdapterOptions) => gpu.requestAdapter({ ...o, ...options }),
    getPreferredCanvasFormat: () => "rgba8unorm",
    wgslLanguageFeatures: new Set<string>(),
  };
  const g = globalThis as { navigator?: object };
  if (g.navigator === undefined) Object.defineProperty(globalThis, "navigator", { value: { gpu: shim }, configurable: true, writable: true });
  else Object.defineProperty(g.navigator, "gpu", { value: shim, configurable: true });
  try {
    await import("@tensorflow/tfjs-backend-webgpu");
  } catch (e) {
    return { reason: `@tensorflow/tfjs-backend-webgpu could not load (${firstLine(e)})` };
  }
  if (tf.engine().registryFactory.webgpu === undefined) return { reason: "@tensorflow/tfjs-backend-webgpu did not register (navigator.gpu missing at import)" };
  return { adapter: found.adapter };
}

async function tryWebgpu(allowSoftware: boolean): Promise<{ label: string } | { reason: string }> {
  const r = await registerWebgpu(allowSoftware);
  if ("reason" in r) return r;
  if (r.adapter.software && !allowSoftware) return { reason: `only a software adapter (${r.adapter.name})` };
  try {
    // A device that cannot be created only warns and returns false; it does not throw.
    if (!(await tf.setBackend("webgpu"))) return { reason: `the webgpu backend did not start on ${r.adapter.label}` };
  } catch (e) {
    return { reason: `webgpu on ${r.adapter.label}: ${firstLine(e)}` };
  }
  return { label: r.adapter.label };
}

async function attempt(name: BackendName, forced: boolean): Promise<{ label: string } | { reason: string }> {
  const asLabel = (reason: string | null) => (reason === null ? { label: name } : { reason });
  switch (name) {
    case "tensorflow-gpu":
      return asLabel(await tryNative("@tensorflow/tfjs-node-gpu"));
    case "tensorflow":
      return asLabel(await tryNative("@tensorflow/tfjs-node"));
    case "webgpu":
      return tryWebgpu(forced);
    case "wasm":
      return asLabel(await tryWasm());
    case "cpu":
      return asLabel((await tf.setBackend("cpu")) ? null : "the cpu backend did not start");
  }
}

function forcedBackend(): BackendName | null {
  const forced = process.env.TFM_TF_BACKEND;
  if (forced === undefined || forced === "") return null;
  const match = BACKEND_LADDER.find((b) => b === forced);
  if (match === undefined) {
    throw new Error(`TFM_TF_BACKEND must be one of ${BACKEND_LADDER.join(", ")}; got '${forced}'`);
  }
  return match;
}

/** Starts the first rung that works (or the forced one) and says what runs and why the others did not. */
export function initBackendInfo(): Promise<BackendInfo> {
  ready ??= (async () => {
    const forced = forcedBackend();
    // A forced rung that cannot start falls back, logged, to the rungs below it: what runs is then
    // reported as it is (the label), never as the rung that was asked for.
    const ladder = forced ? BACKEND_LADDER.slice(BACKEND_LADDER.indexOf(forced)) : BACKEND_LADDER;
    const skipped: BackendInfo["skipped"] = [];
    for (const name of ladder) {
      const r = await attempt(name, name === forced);
      if ("label" in r) {
        await tf.ready();
        for (const s of skipped) {
          if (s.rung === forced || s.rung === "webgpu") console.warn(`reference backend: ${s.rung}${s.rung === forced ? " (TFM_TF_BACKEND)" : ""} passed over: ${s.reason}; using ${r.label}`);
        }
        return { name, label: r.label, skipped };
      }
      skipped.push({ rung: name, reason: r.reason });
    }
    throw new Error(`no TensorFlow.js backend could start (${skipped.map((s) => `${s.rung}: ${s.reason}`).join("; ")})`);
  })();
  return ready;
}

/** The rung that runs the references (its name; initBackendInfo() also says which adapter). */
export async function initBackend(): Promise<BackendName> {
  return (await initBackendInfo()).name;
}

function firstLine(e: unknown): string {
  const text = e instanceof Error ? e.message : String(e);
  return (text.split("\n")[0] ?? "").slice(0, 200);
}

export { tf };

/**
 * Every rung that can run here, for the one-suite-all-backends tests: wasm and cpu always, webgpu
 * on whatever adapter Dawn finds (a software one included: that is how CI runs it), the native
 * rungs where their packages installed. `webgpu` says why it is missing when it is.
 */
export async function availableBackends(): Promise<{ names: BackendName[]; webgpu: WebgpuRegistration }> {
  await initBackendInfo();
  await tryImportWasm();
  const webgpu = await registerWebgpu(true);
  const names = BACKEND_LADDER.filter((b) => b !== "tensorflow-gpu" && (tf.findBackend(b) !== null || tf.engine().registryFactory[b] !== undefined));
  return { names, webgpu };
}

async function tryImportWasm(): Promise<void> {
  try {
    await import("@tensorflow/tfjs-backend-wasm");
  } catch {
    // Reported by the tests, which expect wasm among the names.
  }
}

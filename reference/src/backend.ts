import * as tf from "@tensorflow/tfjs-core";
import "@tensorflow/tfjs-backend-cpu";

/**
 * The reference backend ladder: native GPU, native CPU (both optional dependencies that cannot
 * install on every machine), then WebAssembly, then plain JavaScript. TFM_TF_BACKEND forces one
 * rung (used by the backend agreement tests and by operators who want to pin it).
 */
export const BACKEND_LADDER = ["tensorflow-gpu", "tensorflow", "wasm", "cpu"] as const;
export type BackendName = (typeof BACKEND_LADDER)[number];

let ready: Promise<BackendName> | null = null;

async function tryNative(pkg: string): Promise<boolean> {
  try {
    await import(/* @vite-ignore */ pkg);
    return tf.findBackend("tensorflow") !== null && (await tf.setBackend("tensorflow"));
  } catch {
    return false;
  }
}

async function tryWasm(): Promise<boolean> {
  try {
    await import("@tensorflow/tfjs-backend-wasm");
    return await tf.setBackend("wasm");
  } catch {
    return false;
  }
}

async function attempt(name: BackendName): Promise<boolean> {
  switch (name) {
    case "tensorflow-gpu":
      return tryNative("@tensorflow/tfjs-node-gpu");
    case "tensorflow":
      return tryNative("@tensorflow/tfjs-node");
    case "wasm":
      return tryWasm();
    case "cpu":
      return tf.setBackend("cpu");
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

export function initBackend(): Promise<BackendName> {
  ready ??= (async () => {
    const forced = forcedBackend();
    const ladder = forced ? [forced] : BACKEND_LADDER;
    for (const name of ladder) {
      if (await attempt(name)) {
        await tf.ready();
        return name;
      }
    }
    throw new Error(`no TensorFlow.js backend could start (tried ${ladder.join(", ")})`);
  })();
  return ready;
}

export { tf };

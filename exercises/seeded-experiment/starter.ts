import { torch } from "@tfm/kit";

export interface ExperimentEnv {
  cudaAvailable: boolean;
  versions: Record<string, string>;
}

/**
 * configJson: the experiment config as JSON text (model / training / data / seed).
 * Returns the experiment record as canonical JSON text (see the statement).
 */
export function runExperiment(configJson: string, env: ExperimentEnv): string {
  const config: unknown = JSON.parse(configJson);
  // 1. validate the config: throw an Error naming the first invalid field
  // 2. device: "cuda" when env.cudaAvailable, else "cpu"
  // 3. torch.manualSeed(config.seed), then perm = torch.randperm(num_samples)
  // 4. split perm into train / val / test (floor(num_samples * split), test takes the rest)
  // 5. return JSON.stringify of { config, device, split, versions } with sorted keys
  void torch;
  void env;
  return JSON.stringify({ config });
}

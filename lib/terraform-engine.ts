/**
 * The engine that runs the synthesized Terraform: terraform, or OpenTofu
 * (which alone encrypts state).
 */

/** The engines that run the synthesized Terraform. */
export const ENGINES = ["terraform", "tofu"] as const;
/** One of {@link ENGINES}. */
export type Engine = (typeof ENGINES)[number];

/**
 * The engine an environment asks for: `CLOUDKOFFER_ENGINE`, else cdktf's
 * TERRAFORM_BINARY_NAME (a name or path starting with "tofu" is OpenTofu).
 * @throws Error naming the variable when CLOUDKOFFER_ENGINE is neither engine
 */
export function engineOf(env: NodeJS.ProcessEnv): Engine {
  const asked = env.CLOUDKOFFER_ENGINE;
  if (asked !== undefined && asked !== "") {
    if (!(ENGINES as readonly string[]).includes(asked)) {
      throw new Error(`CLOUDKOFFER_ENGINE=${asked} is neither ${ENGINES.join(" nor ")}`);
    }
    return asked as Engine;
  }
  const binary = env.TERRAFORM_BINARY_NAME ?? "";
  return (binary.split("/").pop() ?? "").startsWith("tofu") ? "tofu" : "terraform";
}

/**
 * A deploy that leaves its state damaged or loses it never loses the cluster's
 * secrets: on a simulated Cloudkoffer v1 (3 + 2 nodes), a state that terraform
 * left empty or truncated when the deploy was killed right after Bootstrap, and
 * a state lost after the cluster was installed, with and without its secrets
 * backup. (The kills during a first deploy: interrupted-bootstrap.test.ts.)
 */
import { readFileSync, rmSync, truncateSync, writeFileSync } from "fs";
import { DeployProcess } from "../testing/deploy-process";
import { cdktfDeploy } from "../testing/terraform";
import { describeInterrupted, STACK } from "./support/interrupted";

describeInterrupted("127.73.0", ({ cloudkoffer, expectConverged }) => {
  test.each([
    ["empty", (file: string) => truncateSync(file, 0)],
    ["truncated half way", (file: string) => writeFileSync(file, readFileSync(file, "utf8").slice(0, readFileSync(file, "utf8").length / 2))],
  ])(
    "killed right after Bootstrap while terraform rewrote the state, leaving it %s: the secrets are restored, the bootstrap adopted",
    async (damage, harm) => {
      const cluster = await cloudkoffer(damage === "empty" ? "127.65.0" : "127.66.0");
      await cluster.killAt(cluster.controlPlanes[0], "Bootstrap", "after");
      // What terraform leaves when it is killed while it rewrites the local state in place
      // (it truncates the file, then writes it): a kill cannot be timed into that moment, so the
      // test damages the file the way it would be.
      harm(cluster.stateFile);

      const recovery = await DeployProcess.run(STACK, cluster.workdir, cluster.env());
      expect(recovery.text).toContain(`${cluster.stateFile} is empty or truncated`);
      await expectConverged(cluster, recovery);
    },
  );

  test("a lost state without a secrets backup stops the deploy before any node is touched, saying how to recover", async () => {
    const cluster = await cloudkoffer("127.71.0");
    await expectConverged(cluster, await DeployProcess.run(STACK, cluster.workdir, cluster.env()));
    const applies = async () =>
      Object.values(await cluster.simulator.status()).map((node) => node.calls.filter((call) => call.method === "ApplyConfiguration").length);
    const before = await applies();
    rmSync(cluster.stateFile);
    rmSync(cluster.secretsBackup);

    const refused = await DeployProcess.run(STACK, cluster.workdir, cluster.env());
    expect(refused.status).toBe(2);
    expect(refused.text).toContain(`but ${cluster.nodes.join(", ")} are configured already, with secrets this state does not have`);
    expect(refused.text).toContain(`npm run secrets -- import ${STACK} --file secrets.yaml`);
    expect(await applies()).toEqual(before);
    expect(cluster.stack.stateList()).toEqual([]);
  });

  test("a plain cdktf deploy on a lost state adopts the secrets backup too (the stack's import block); npm run deploy adopts the bootstrap", async () => {
    const cluster = await cloudkoffer("127.72.0");
    await expectConverged(cluster, await DeployProcess.run(STACK, cluster.workdir, cluster.env()));
    rmSync(cluster.stateFile);

    const plain = cdktfDeploy(STACK, cluster.workdir, cluster.env());
    // The configurations apply: the adopted secrets are the ones the nodes hold. Only the bootstrap,
    // which the stack alone cannot know was done, fails after node_timeout.
    expect(plain.status).not.toBe(0);
    expect(plain.text).toContain("talos_machine_secrets.this (cluster/machine-secrets): Import complete");
    expect(plain.text).toContain("AlreadyExists");
    expect(cluster.stack.stateList()).toContain(`talos_machine_configuration_apply.worker["${cluster.workers[0]}"]`);

    await expectConverged(cluster, await DeployProcess.run(STACK, cluster.workdir, cluster.env()));
  });
});

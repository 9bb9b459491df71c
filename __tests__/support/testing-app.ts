import { rmSync } from "fs";
import { App, Testing } from "cdktf";

/** The output folders of the apps made in this test file: removed after it (cdktf's Testing leaves them in /tmp). */
const outdirs: string[] = [];
afterAll(() => {
  for (const outdir of outdirs.splice(0)) rmSync(outdir, { recursive: true, force: true });
});

/** cdktf's Testing.app(), whose output folder is removed after the test file. */
export function testingApp(): App {
  const app = Testing.app();
  outdirs.push(app.outdir);
  return app;
}

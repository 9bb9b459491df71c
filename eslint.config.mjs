// Lint for our own TypeScript; generated bindings (.gen/) are cdktf's, never edited by hand.
import eslint from "@eslint/js";
import tseslint from "typescript-eslint";

export default tseslint.config(
  { ignores: [".gen/**", ".build/**", ".providers/**", "node_modules/**", "cdktf.out/**", "coverage/**", "jest.config.js"] },
  eslint.configs.recommended,
  ...tseslint.configs.strict,
  {
    rules: {
      "@typescript-eslint/no-explicit-any": "error",
    },
  },
  {
    // The app launcher and jest's test sequencer stay plain CommonJS: they run before anything is compiled.
    files: ["commands/*.js", "__tests__/support/*.js"],
    languageOptions: {
      sourceType: "commonjs",
      globals: { require: "readonly", __dirname: "readonly", process: "readonly", module: "readonly" },
    },
    rules: { "@typescript-eslint/no-require-imports": "off" },
  },
);

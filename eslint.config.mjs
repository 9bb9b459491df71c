// Lint for our own TypeScript; generated bindings (.gen/) are cdktf's, never edited by hand.
import eslint from "@eslint/js";
import tseslint from "typescript-eslint";

export default tseslint.config(
  { ignores: [".gen/**", "node_modules/**", "cdktf.out/**", "coverage/**", "jest.config.js"] },
  eslint.configs.recommended,
  ...tseslint.configs.strict,
  {
    rules: {
      "@typescript-eslint/no-explicit-any": "error",
    },
  },
);

// Forgeline's lint rules: typed linting of the TypeScript (the type-aware rules that catch promises
// left floating or handed where a callback's result is ignored, and `any`), plain rules for the .mjs tools.

import { fileURLToPath } from "node:url";
import { defineConfig } from "eslint/config";
import js from "@eslint/js";
import tseslint from "typescript-eslint";
import globals from "globals";

const root = fileURLToPath(new URL("..", import.meta.url));

export default defineConfig(
  {
    ignores: ["**/node_modules/", ".wrangler/", "bench/.data/", "migrations/", "worker-configuration.d.ts"],
  },
  {
    files: ["**/*.ts"],
    extends: [js.configs.recommended, tseslint.configs.recommended],
    languageOptions: {
      parserOptions: { project: ["./tsconfig.json", "./tsconfig.node.json"], tsconfigRootDir: root },
    },
    rules: {
      "@typescript-eslint/no-floating-promises": "error",
      "@typescript-eslint/no-misused-promises": "error",
      "@typescript-eslint/no-explicit-any": "error",
      // `const { key, ...view } = row` drops fields on purpose; `_name` marks a parameter kept for its position.
      "@typescript-eslint/no-unused-vars": [
        "error",
        { ignoreRestSiblings: true, argsIgnorePattern: "^_", varsIgnorePattern: "^_" },
      ],
    },
  },
  {
    // A Node script bundled by esbuild for `npm run bench:git-pack`, in no tsconfig: linted without types.
    files: ["bench/git-pack/live-memory.ts"],
    extends: [tseslint.configs.disableTypeChecked],
    languageOptions: { parserOptions: { project: false }, globals: { ...globals.node } },
  },
  {
    rules: {
      // Best-effort cleanups (closing a socket, removing a temp file) ignore their failure on purpose.
      "no-empty": ["error", { allowEmptyCatch: true }],
      // Input checks reject control characters, so the patterns name them.
      "no-control-regex": "off",
    },
  },
  {
    files: ["**/*.mjs", "**/*.js"],
    extends: [js.configs.recommended],
    languageOptions: { globals: { ...globals.node } },
  },
);

// ESLint finds its config here; the rules and the plugins (installed apart, see lint/package.json) are in lint/.
export { default } from "./lint/eslint.config.mjs";

// Vite's `?raw` imports: a file's text, as the tests read fixtures byte for byte.
declare module "*?raw" {
  const text: string;
  export default text;
}

// usfm-js ships no types; what the renderer uses of it.
declare module "usfm-js" {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  const usfm: { toJSON(text: string, params?: Record<string, unknown>): any; toUSFM(json: any): string };
  export default usfm;
}

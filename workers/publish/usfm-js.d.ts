// usfm-js ships no types; what the renderer uses of it.
declare module "usfm-js" {
  const usfm: { toJSON(text: string, params?: Record<string, unknown>): any; toUSFM(json: any): string };
  export default usfm;
}

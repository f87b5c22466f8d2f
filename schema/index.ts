// Every D1 table, one file per room; drizzle-kit generates migrations/ from here.

export * from "./registry";
export * from "./jobs";
export * from "./archive";
export * from "./mirror";
export * from "./tagbuild";
export * from "./publish";

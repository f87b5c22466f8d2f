// Yielding to the event loop: a visit's parsing and hashing are synchronous work in the isolate that also serves
// the API, so the loader gives way every few objects and other requests are answered in between.

/** Lets the event loop run other requests before continuing. */
export const yieldToEventLoop = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 0));

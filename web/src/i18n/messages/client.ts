// Texts of the client pages. `clientEn` defines the keys; `clientEs` must have exactly the same keys.
// Spread into the dictionaries in ../messages.ts.

export const clientEn = {} as const;

export const clientEs: { readonly [K in keyof typeof clientEn]: string } = {};

// Texts of the admin pages. `adminEn` defines the keys; `adminEs` must have exactly the same keys.
// Spread into the dictionaries in ../messages.ts.

export const adminEn = {} as const;

export const adminEs: { readonly [K in keyof typeof adminEn]: string } = {};

// PLACEHOLDER until the stack's bundler lands: builds the JS bundles of stack services.
export async function buildBundles(_progress: (text: string) => void = () => {}): Promise<void> {}

/**
 * What `@tensorflow/tfjs` is in this app (vite.config.ts aliases the bare specifier here, for the
 * app and for the libraries' sources): tfjs-core with its chained ops, and tfjs-layers. The union
 * package also pulls in the WebGL and CPU backends, the converter and tfjs-data, 75 KB gzip the
 * first prediction does not need. The backends load on demand instead (src/lazy-backends.ts), and
 * the gradients with the Train view or the saliency view (the only things that need them). Still one copy of
 * tfjs: the same 4.22.0 packages the union package depends on.
 */
import '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-core/dist/public/chained_ops/register_all_chained_ops';
import { version_core } from '@tensorflow/tfjs-core';
import { version_layers } from '@tensorflow/tfjs-layers';

export * from '@tensorflow/tfjs-core';
export * from '@tensorflow/tfjs-layers';

export const version = { 'tfjs-core': version_core, 'tfjs-layers': version_layers, tfjs: version_core };

import { takeFirst, type Dataset } from '@digits/mnist-data';
import { configureEngine, createMlp, evaluate, selectBackend, train } from '@digits/model';

/** The in-page training test's run, in Node: the tutorial MLP, seed 1, first 2000 images, 1 epoch, batches of 64. */
export const REFERENCE_RUN = { images: 2000, epochs: 1, batchSize: 64, evalImages: 2000 } as const;

/**
 * The test accuracy that run reaches in Node on the digits engine, split into `threads` shards per
 * batch as the page splits it (the results do not depend on whether worker threads run the shards).
 */
export async function nodeReferenceAccuracy(mnist: Dataset, threads: number): Promise<number> {
  await selectBackend('engine');
  configureEngine({ threads });
  const model = createMlp({ seed: 1 });
  try {
    const { images, epochs, batchSize, evalImages } = REFERENCE_RUN;
    await train(model, takeFirst(mnist.train, images), { epochs, batchSize, seed: 1, validationSplit: 0.1 });
    return (await evaluate(model, takeFirst(mnist.test, evalImages))).accuracy;
  } finally {
    model.dispose();
    configureEngine({ threads: undefined });
  }
}

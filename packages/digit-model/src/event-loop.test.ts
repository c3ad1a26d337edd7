import { describe, expect, it } from 'vitest';
import { yieldToEventLoop } from './event-loop';

describe('yieldToEventLoop', () => {
  it('resumes in well under a timer tick', async () => {
    const started = performance.now();
    for (let i = 0; i < 200; i++) await yieldToEventLoop();
    // setTimeout(0) would take at least 200 ms (1 ms each in Node); a starved process still passes
    expect(performance.now() - started).toBeLessThan(100);
  });

  it('lets a timer set while a loop runs fire at the next yield', async () => {
    let fired = false;
    setTimeout(() => (fired = true), 1);
    const until = performance.now() + 5;
    while (performance.now() < until) {
      /* a batch of work */
    }
    await yieldToEventLoop();
    await yieldToEventLoop();
    expect(fired).toBe(true);
  });
});

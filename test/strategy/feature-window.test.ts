import { describe, expect, it } from 'vitest';
import { FeatureWindow } from '../../src/strategy/index.ts';

describe('FeatureWindow', () => {
  it('returns the newest n rows oldest-first, across wrap-around and after a reset, as fresh copies', () => {
    const width = 3;
    const capacity = 5;
    const fw = new FeatureWindow(width, capacity);
    const pushed: number[][] = [];
    for (let t = 0; t < 23; t++) {
      if (t === 13) {
        fw.reset();
        pushed.length = 0;
      }
      const row = [t, t + 0.5, -t];
      fw.push(Float32Array.from(row));
      pushed.push(row);
      for (let n = 1; n <= capacity; n++) {
        const w = fw.window(n);
        if (n > pushed.length) {
          expect(w).toBeNull();
          continue;
        }
        expect(Array.from(w!)).toEqual(pushed.slice(-n).flat());
      }
    }
    const a = fw.window(2)!;
    fw.push(Float32Array.from([100, 100, 100]));
    expect(Array.from(a)).toEqual([21, 21.5, -21, 22, 22.5, -22]);
    expect(fw.length).toBe(capacity);
  });
});

import fc from 'fast-check';
import { checkProperty } from '../helpers/property';

test('checkProperty runs the cases and reports a failing one with its counterexample', async () => {
  await checkProperty('addition commutes', fc.property(fc.integer(), fc.integer(), (a, b) => a + b === b + a), 50);
  await expect(checkProperty('a property that cannot hold', fc.property(fc.nat(), (n) => n < 0), 50)).rejects.toThrow(/Counterexample/);
});

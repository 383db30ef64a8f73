import { describe, expect, test } from 'vitest';
import { ApiError, type Api } from './http';
import { pinProblem, unlockErrorText, withTimeout } from './lock';

describe('pinProblem', () => {
  test('refuses wrong lengths, non-digits, repeats and runs like the server', () => {
    for (const pin of ['', '12345', '1234567890123', '12345a', '000000', '121212', '123123', '123456', '654321', '890123', '3210987']) {
      expect(pinProblem(pin), pin).not.toBeNull();
    }
  });
  test('accepts PINs without a pattern', () => {
    for (const pin of ['402913', '135790', '112358', '098712345678']) expect(pinProblem(pin), pin).toBeNull();
  });
});

describe('unlockErrorText', () => {
  const api = (left: number) => ({ session: async () => ({ pin_tries_left: left }) }) as unknown as Api;
  test('a wrong PIN says how many tries are left, from the server', async () => {
    expect(await unlockErrorText(new ApiError(403, 'permission_denied', 'x'), 'pin', api(4))).toBe('Wrong PIN: 4 tries left.');
    expect(await unlockErrorText(new ApiError(403, 'permission_denied', 'x'), 'pin', api(1))).toBe('Wrong PIN: 1 try left.');
  });
  test('PIN lockout, wrong password, sign-in lock and no answer each have their text', async () => {
    expect(await unlockErrorText(new ApiError(412, 'failed_precondition', 'x'), 'pin', api(0))).toBe('Too many wrong PINs. Unlock with your password.');
    expect(await unlockErrorText(new ApiError(403, 'permission_denied', 'x'), 'password', api(0))).toBe('Wrong password.');
    expect(await unlockErrorText(new ApiError(429, 'resource_exhausted', 'too many failed attempts: sign-in is locked until x'), 'password', api(0))).toMatch(/locked until/);
    expect(await unlockErrorText(new Error('timeout'), 'pin', api(0))).toMatch(/did not answer/);
  });
});

describe('withTimeout', () => {
  test('rejects a promise that never settles', async () => {
    await expect(withTimeout(new Promise(() => {}), 10)).rejects.toThrow('timeout');
    await expect(withTimeout(Promise.resolve(7), 10)).resolves.toBe(7);
  });
});

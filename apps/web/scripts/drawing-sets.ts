/**
 * The seeds of the generated drawing sets, in one place, so that training, calibration and the
 * reported figures never share a drawing: the shipped model is fine-tuned on REJECTION_TRAINING_SEED,
 * the "not sure" threshold is calibrated on CALIBRATION seeds, and the figures (and tests) use the
 * HELD_OUT seeds.
 */
export const REJECTION_TRAINING_SEED = 1000;
/** Letters and shapes the shipped model never sees while learning to reject non-digits. */
export const REJECTION_HELD_OUT = ['K', 'W', 'r', 'hash', 'heart', 'house'] as const;
export const CALIBRATION = { digits: 21, nonDigits: 22 } as const;
export const HELD_OUT = { digits: 31, nonDigits: 32 } as const;

export { DigitsError, isDigitsError, type DigitsErrorCode } from './errors';

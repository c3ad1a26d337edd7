export { DigitsError, isDigitsError, type DigitsErrorCode } from '@digits/mnist-data';

/**
 * How far an exported ONNX graph's outputs may differ from the tfjs model's on the same rows
 * (largest absolute difference of any probability) before the export is refused: the issue's
 * parity bound. A module of its own so that code checking parity (the retraining actor's
 * validation) does not load tfjs to read one number.
 */
export const ONNX_PARITY_TOLERANCE = 1e-5;

/** Keras layer classes the engine converts to its functional form; every method handles all of them. */
export const SUPPORTED_LAYER_TYPES = [
  'InputLayer',
  'Conv2D',
  'Dense',
  'BatchNormalization',
  'Activation',
  'ReLU',
  'Softmax',
  'MaxPooling2D',
  'AveragePooling2D',
  'GlobalAveragePooling2D',
  'Flatten',
  'Dropout',
  'Add'
] as const

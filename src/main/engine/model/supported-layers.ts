/** Keras layer classes the engine converts to its functional form; every method handles all of them. */
export const SUPPORTED_LAYER_TYPES = [
  'InputLayer',
  'Conv2D',
  'DepthwiseConv2D',
  'Dense',
  'BatchNormalization',
  'Activation',
  'ReLU',
  'LeakyReLU',
  'Softmax',
  'MaxPooling2D',
  'AveragePooling2D',
  'GlobalAveragePooling2D',
  'Flatten',
  'Dropout',
  'Add',
  'Multiply',
  'Concatenate',
  'ZeroPadding2D'
] as const

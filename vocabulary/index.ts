/** The shared vocabulary: every layer may import it; it imports nothing of the project and no Node API. */
export * from './activities';
export * from './events';
export * from './failures';
export * from './format';
export * from './messages';
export * from './names';
export * from './shapes';

export * from './api-client.js';
export * from './producer.js';
export * from './settings.js';

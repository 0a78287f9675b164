/** Lambda entry points of the WebSocket API: the `$connect` authorizer and the three routes. */
import {
  createWebSocketHandlers,
  type ConnectAuthorizerEvent,
  type WebSocketEvent,
  type WebSocketHandlers,
} from '../websocket.js';
import { lambdaDeps } from './runtime.js';

let handlers: WebSocketHandlers | undefined;
const get = (): WebSocketHandlers =>
  (handlers ??= createWebSocketHandlers(lambdaDeps('websocket')));

export const authorizerHandler = (event: ConnectAuthorizerEvent) => get().authorize(event);
export const connectHandler = (event: WebSocketEvent) => get().connect(event);
export const disconnectHandler = (event: WebSocketEvent) => get().disconnect(event);
export const defaultHandler = (event: WebSocketEvent) => get().message(event);

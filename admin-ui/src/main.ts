import { createWebHistory } from 'vue-router';
import 'primeicons/primeicons.css';
import './styles.css';
import { createWardenApp } from './app';
import { loadRuntimeConfig } from './config/runtime-config';

async function main(): Promise<void> {
  const root = document.getElementById('app');
  if (!root) return;
  try {
    const config = await loadRuntimeConfig();
    createWardenApp(config, createWebHistory()).app.mount(root);
  } catch (error) {
    // Without a config the app cannot reach anything: say so plainly instead of a blank page.
    root.innerHTML = '';
    const box = document.createElement('div');
    box.className = 'fatal';
    box.setAttribute('role', 'alert');
    const title = document.createElement('h1');
    title.textContent = 'Warden Admin cannot start';
    const detail = document.createElement('p');
    detail.textContent = error instanceof Error ? error.message : String(error);
    box.append(title, detail);
    root.append(box);
  }
}

void main();

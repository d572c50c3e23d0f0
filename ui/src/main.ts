import { mount } from 'svelte';
import App from './App.svelte';
import { backend } from './lib/backend';
import './app.css';

const target = document.getElementById('app');
if (target) backend().then((b) => mount(App, { target, props: { backend: b } }));

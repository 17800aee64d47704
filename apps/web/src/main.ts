import { h, render } from 'preact';
import { App } from './app';

render(h(App, null), document.getElementById('app')!);

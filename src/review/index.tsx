import { createRoot } from 'react-dom/client';
import { App } from './App';
import { takeCsrfFromUrl } from './api';

takeCsrfFromUrl();

const root = document.getElementById('root');
if (root) createRoot(root).render(<App />);

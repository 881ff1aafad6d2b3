import { createApp } from 'vue';
import { createPinia } from 'pinia';
import App from './App.vue';
import { i18n } from './i18n';
import { router } from './router';
import { installApiHooks } from './stores/session';
import { registerServiceWorker } from './utils/pwa';
import 'tdesign-vue-next/dist/tdesign.min.css';
import './styles/main.css';

const app = createApp(App);
app.use(createPinia());
app.use(i18n);
app.use(router);
installApiHooks(router);
app.mount('#app');
registerServiceWorker();

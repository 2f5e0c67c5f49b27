// One page for both roles: the path says which (/s/<token>/ a student, /i/<token>/ the instructor).
import { createApp } from 'vue';
import '@xterm/xterm/css/xterm.css';
import './style.css';
import { role } from './api';
import Student from './Student.vue';
import Radar from './Radar.vue';

createApp(role === 'instructor' ? Radar : Student).mount('#app');

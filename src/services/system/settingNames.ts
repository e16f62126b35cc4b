/** What a setting's name looks like (the service checks it, the route schema too). */
export const SETTING_NAME = /^[a-z][a-z0-9_.-]{0,127}$/;

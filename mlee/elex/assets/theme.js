/* ELEx: pick the colour theme before the app renders: a saved choice, else the system preference. */
(function () {
    var theme = null;
    try { theme = window.localStorage.getItem('elex-theme'); } catch (e) { theme = null; }
    if (theme !== 'light' && theme !== 'dark') {
        theme = window.matchMedia && window.matchMedia('(prefers-color-scheme: dark)').matches ? 'dark' : 'light';
    }
    document.documentElement.setAttribute('data-theme', theme);
})();

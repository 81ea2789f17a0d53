/* ELEx: Esc closes the enlarged label (the Close button's own callback does the work). */
document.addEventListener('keydown', function (event) {
    if (event.key !== 'Escape') { return; }
    var modal = document.getElementById('label-modal');
    if (modal && !modal.classList.contains('hidden')) {
        document.getElementById('label-modal-close').click();
    }
});

document.querySelector('#app')!.textContent = 'digits: the drawing app arrives with the web issue';

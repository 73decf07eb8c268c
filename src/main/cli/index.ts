console.log('lth: not built yet')

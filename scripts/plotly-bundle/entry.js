// Tocsin's plotly.js: the core and the traces the dashboard draws, nothing else.
var Plotly = require('plotly.js/lib/core');
Plotly.register([
  require('plotly.js/lib/bar'),
  require('plotly.js/lib/heatmap'),
  require('plotly.js/lib/scattergeo'),
  require('plotly.js/lib/choropleth'),
]);
// dcc.Graph uses window.Plotly when it is set, instead of fetching its own full bundle.
window.Plotly = Plotly;

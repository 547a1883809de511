"""The month-end pack: which notebooks, the batch runner, rendering to HTML/PDF/xlsx, the front page."""

"""Official documents (文书) as self-contained PDF.

``spec`` says what a document holds, ``render.render_pdf`` lays it out with embedded fonts
(``fonts``), ``text.pdf_text`` reads a PDF back. No models: a document is generated, and
storing it is the business of the caller.
"""

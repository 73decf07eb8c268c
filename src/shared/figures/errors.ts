/** Bad figure or export options: the message is one line, meant to be printed as it is. */
export class FigureOptionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FigureOptionError';
  }
}

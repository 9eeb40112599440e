//! LSTM and GRU, unrolled over the input's fixed sequence length: per step, one Dense layer
//! of the input and the previous hidden state (a free selection joins them), the gates
//! through the piecewise-cubic sigmoid and tanh kernels, and the state updates as products
//! of activations. Forward, reverse and bidirectional; batch 1; the default activations.

use super::*;

/// The sigmoid and tanh kernels.
fn smooth(func: ops::Smooth) -> FloatLayer {
    Layer::Logistic(ops::Logistic { func, table: None })
}

/// The input X (its value), the step's time, the input size, and the sequence length.
type X = (usize, usize, usize, usize);

/// One direction's weights: `w [G*H, I]`, `r [G*H, H]`, biases `wb`, `rb` of `G*H`.
struct Dir {
    w: Array2<f64>,
    r: Array2<f64>,
    wb: Vec<f64>,
    rb: Vec<f64>,
}

impl Builder<'_> {
    /// LSTM and GRU: see the module's documentation.
    pub(super) fn recurrent(&mut self, n: &NodeProto) -> Result<(), OnnxError> {
        let lstm = n.op_type == "LSTM";
        let gates = if lstm { 4 } else { 3 };
        let (xv, xlay) = self.dynamic_raw(n, 0)?;
        let (xv, xlay) = self.onnx_order(n, xv, xlay);
        let &[t, batch, isz] = xlay.full_shape().as_slice() else {
            return Err(self.graph_err(n, format!("X of shape {:?} (rank 3)", xlay.full_shape())));
        };
        if batch != 1 {
            return Err(self.unsupported(n, format!("a batch of {batch} (only 1)")));
        }
        let hsz = attr_int(n, "hidden_size", 0).max(0) as usize;
        let direction = attr_str(n, "direction").unwrap_or_else(|| "forward".into());
        let dirs = match direction.as_str() {
            "forward" | "reverse" => 1,
            "bidirectional" => 2,
            other => return Err(self.graph_err(n, format!("direction {other}"))),
        };
        let default_acts: &[&str] = if lstm {
            &["Sigmoid", "Tanh", "Tanh"]
        } else {
            &["Sigmoid", "Tanh"]
        };
        let acts_ok = match attr(n, "activations") {
            None => true,
            Some(a) => a
                .strings
                .iter()
                .map(|s| String::from_utf8_lossy(s).to_string())
                .collect::<Vec<_>>()
                .chunks(default_acts.len())
                .all(|c| c.iter().zip(default_acts).all(|(a, b)| a == b)),
        };
        if !acts_ok
            || attr(n, "clip").is_some()
            || attr_int(n, "input_forget", 0) != 0
            || attr_int(n, "layout", 0) != 0
        {
            return Err(self.unsupported(
                n,
                "activations other than the defaults, clip, input_forget or layout 1",
            ));
        }
        let lbr = !lstm && attr_int(n, "linear_before_reset", 0) != 0;
        // the inputs an exporter fills with what changes nothing: full sequence lengths,
        // zero initial states, zero peepholes
        if let Some(l) = self.konst(n, 4, "sequence_lens")? {
            if l.iter().any(|&v| v as usize != t) {
                return Err(self.unsupported(n, "sequence_lens shorter than the sequence"));
            }
        }
        for (k, what) in [(5, "initial_h"), (6, "initial_c"), (7, "P")] {
            if k >= 6 && !lstm {
                continue;
            }
            match self.get(n, k)? {
                None => {}
                Some(Val::Const(c)) if c.iter().all(|&v| v == 0.0) => {}
                Some(_) => {
                    return Err(self.unsupported(n, format!("{what} other than zeros")));
                }
            }
        }
        let w = self
            .konst(n, 1, "W")?
            .ok_or_else(|| self.graph_err(n, "W is missing"))?;
        let r = self
            .konst(n, 2, "R")?
            .ok_or_else(|| self.graph_err(n, "R is missing"))?;
        let b = self.konst(n, 3, "B")?;
        // gh and 2 gh, checked: the hidden size comes from the file
        let gh = hsz
            .checked_mul(gates)
            .filter(|g| g.checked_mul(2).is_some())
            .ok_or_else(|| self.graph_err(n, format!("hidden size {hsz}")))?;
        if hsz == 0
            || w.shape() != [dirs, gh, isz]
            || r.shape() != [dirs, gh, hsz]
            || b.as_ref().is_some_and(|b| b.shape() != [dirs, 2 * gh])
        {
            return Err(self.graph_err(
                n,
                format!(
                    "W {:?}, R {:?}, B {:?} for {dirs} directions, hidden size {hsz}, input size {isz}",
                    w.shape(),
                    r.shape(),
                    b.as_ref().map(|b| b.shape().to_vec())
                ),
            ));
        }
        let dir = |d: usize| Dir {
            w: Array2::from_shape_fn((gh, isz), |(g, i)| w[[d, g, i]]),
            r: Array2::from_shape_fn((gh, hsz), |(g, i)| r[[d, g, i]]),
            wb: (0..gh)
                .map(|g| b.as_ref().map_or(0.0, |b| b[[d, g]]))
                .collect(),
            rb: (0..gh)
                .map(|g| b.as_ref().map_or(0.0, |b| b[[d, gh + g]]))
                .collect(),
        };
        let name = node_name(n);
        // per direction: the hidden state at each time, the last hidden and cell states
        let mut ys: Vec<Vec<usize>> = vec![];
        let mut last = vec![];
        for d in 0..dirs {
            let reverse = direction == "reverse" || d == 1;
            let p = dir(d);
            let mut hs = vec![0; t];
            let (mut h, mut c): (Option<usize>, Option<usize>) = (None, None);
            for step in 0..t {
                let time = if reverse { t - 1 - step } else { step };
                let at = format!("{name}.d{d}t{time}");
                let (hn, cn) = if lstm {
                    self.lstm_step(&at, (xv, time, isz, t), &p, hsz, h, c)?
                } else {
                    (
                        self.gru_step(&at, (xv, time, isz, t), &p, hsz, h, lbr)?,
                        None,
                    )
                };
                hs[time] = hn;
                h = Some(hn);
                c = cn;
            }
            ys.push(hs);
            last.push((h.expect("a step"), c));
        }
        // Y [T, D, 1, H], Y_h [D, 1, H], Y_c [D, 1, H]: selections of the states
        let gather = |b: &mut Self, vals: Vec<usize>, shape: Vec<usize>, what: &str| {
            let index: Vec<usize> = (0..vals.len() * hsz).collect();
            let l = Layer::Select(ops::Select { shape, index });
            b.emit(l, vals, &format!("{name}.{what}"))
        };
        let all: Vec<usize> = (0..t)
            .flat_map(|time| (0..dirs).map(move |d| (time, d)))
            .map(|(time, d)| ys[d][time])
            .collect();
        let y = gather(self, all, vec![t, dirs, 1, hsz], "Y");
        let ylay = Lay::of_full_shape(&[t, dirs, 1, hsz]).expect("rank 4");
        self.set_output(n, 0, y, ylay);
        let hlay = Lay::of_full_shape(&[dirs, 1, hsz]).expect("rank 3");
        let yh = gather(
            self,
            last.iter().map(|l| l.0).collect(),
            vec![dirs, 1, hsz],
            "Y_h",
        );
        self.set_output(n, 1, yh, hlay);
        if lstm {
            let cs: Option<Vec<usize>> = last.iter().map(|l| l.1).collect();
            if let Some(cs) = cs {
                let yc = gather(self, cs, vec![dirs, 1, hsz], "Y_c");
                self.set_output(n, 2, yc, hlay);
            }
        }
        Ok(())
    }

    /// `[x_time; h]` (or `x_time` alone) times the stacked weights' rows `rows` plus
    /// `bias`: one Dense layer of a free selection.
    #[allow(clippy::too_many_arguments)]
    fn gates_of(
        &mut self,
        at: &str,
        (xv, time, isz, steps): X,
        h: Option<usize>,
        p: &Dir,
        rows: std::ops::Range<usize>,
        with_r: bool,
        bias: Vec<f64>,
    ) -> usize {
        let hsz = p.r.dim().1;
        let (mut ins, mut index) = (vec![xv], (time * isz..time * isz + isz).collect::<Vec<_>>());
        let total_x = index.len();
        let h = h.filter(|_| with_r);
        if let Some(h) = h {
            ins.push(h);
            // the concatenation is all of X, then h
            let x_len = steps * isz;
            index.extend(x_len..x_len + hsz);
        }
        let k = total_x + if h.is_some() { hsz } else { 0 };
        let wt = Array2::from_shape_fn((k, rows.len()), |(i, g)| {
            let g = rows.start + g;
            if i < isz {
                p.w[[g, i]]
            } else {
                p.r[[g, i - isz]]
            }
        });
        let joined = self.emit(
            Layer::Select(ops::Select {
                shape: vec![k],
                index,
            }),
            ins,
            &format!("{at}.in"),
        );
        self.emit(
            FloatLayer::dense(wt, Array1::from(bias)),
            vec![joined],
            &format!("{at}.gates"),
        )
    }

    /// Elements `[k H, (k+1) H)` of `v`, through `f` if given.
    fn part(&mut self, at: &str, v: usize, k: usize, hsz: usize, f: Option<ops::Smooth>) -> usize {
        let l = Layer::Select(ops::Select {
            shape: vec![hsz],
            index: (k * hsz..(k + 1) * hsz).collect(),
        });
        let s = self.emit(l, vec![v], &format!("{at}.g{k}"));
        match f {
            Some(func) => self.emit(smooth(func), vec![s], &format!("{at}.a{k}")),
            None => s,
        }
    }

    /// One LSTM step (gates i, o, f, c in ONNX's order): the new hidden and cell states.
    fn lstm_step(
        &mut self,
        at: &str,
        x: X,
        p: &Dir,
        hsz: usize,
        h: Option<usize>,
        c: Option<usize>,
    ) -> Result<(usize, Option<usize>), OnnxError> {
        let bias: Vec<f64> = p.wb.iter().zip(&p.rb).map(|(a, b)| a + b).collect();
        let g = self.gates_of(at, x, h, p, 0..4 * hsz, true, bias);
        use ops::Smooth::{Sigmoid, Tanh};
        let i = self.part(at, g, 0, hsz, Some(Sigmoid));
        let o = self.part(at, g, 1, hsz, Some(Sigmoid));
        let cc = self.part(at, g, 3, hsz, Some(Tanh));
        let mut cn = self.emit(
            Layer::Product(ops::Product),
            vec![i, cc],
            &format!("{at}.ic"),
        );
        if let Some(c) = c {
            let f = self.part(at, g, 2, hsz, Some(Sigmoid));
            let fc = self.emit(
                Layer::Product(ops::Product),
                vec![f, c],
                &format!("{at}.fc"),
            );
            cn = self.emit(Layer::Add(ops::Add), vec![fc, cn], &format!("{at}.c"));
        }
        let tc = self.emit(smooth(Tanh), vec![cn], &format!("{at}.tc"));
        let hn = self.emit(
            Layer::Product(ops::Product),
            vec![o, tc],
            &format!("{at}.h"),
        );
        Ok((hn, Some(cn)))
    }

    /// One GRU step (gates z, r, h in ONNX's order): the new hidden state.
    fn gru_step(
        &mut self,
        at: &str,
        x: X,
        p: &Dir,
        hsz: usize,
        h: Option<usize>,
        linear_before_reset: bool,
    ) -> Result<usize, OnnxError> {
        use ops::Smooth::{Sigmoid, Tanh};
        let sum =
            |k: std::ops::Range<usize>| -> Vec<f64> { k.map(|g| p.wb[g] + p.rb[g]).collect() };
        let zr = self.gates_of(at, x, h, p, 0..2 * hsz, true, sum(0..2 * hsz));
        let z = self.part(at, zr, 0, hsz, Some(Sigmoid));
        let r = self.part(at, zr, 1, hsz, Some(Sigmoid));
        let hh = 2 * hsz..3 * hsz;
        let pre = match (h, linear_before_reset) {
            // h~ = tanh(W x + Wb + r (R h + Rb))
            (_, true) => {
                let wx =
                    self.gates_of(at, x, None, p, hh.clone(), false, p.wb[hh.clone()].to_vec());
                let rh = match h {
                    Some(h) => {
                        let wt = Array2::from_shape_fn((hsz, hsz), |(i, g)| p.r[[2 * hsz + g, i]]);
                        let l = FloatLayer::dense(wt, Array1::from(p.rb[hh.clone()].to_vec()));
                        let rh = self.emit(l, vec![h], &format!("{at}.rh"));
                        self.emit(
                            Layer::Product(ops::Product),
                            vec![r, rh],
                            &format!("{at}.rrh"),
                        )
                    }
                    None => {
                        let l = Layer::BatchNorm(ops::BatchNorm {
                            a: Array1::from(p.rb[hh.clone()].to_vec()),
                            b: Array1::from(vec![0.0; hsz]),
                        });
                        self.emit(l, vec![r], &format!("{at}.rrh"))
                    }
                };
                self.emit(Layer::Add(ops::Add), vec![wx, rh], &format!("{at}.pre"))
            }
            // h~ = tanh(W x + R (r h) + Wb + Rb)
            (Some(h), false) => {
                let rh = self.emit(
                    Layer::Product(ops::Product),
                    vec![r, h],
                    &format!("{at}.rh"),
                );
                self.gates_of(at, x, Some(rh), p, hh.clone(), true, sum(hh.clone()))
            }
            (None, false) => self.gates_of(at, x, None, p, hh.clone(), false, sum(hh.clone())),
        };
        let cand = self.emit(smooth(Tanh), vec![pre], &format!("{at}.cand"));
        // h' = h~ + z (h - h~), with h = 0 at the first step
        let back = match h {
            Some(h) => self.emit(Layer::Sub(ops::Sub), vec![h, cand], &format!("{at}.d")),
            None => {
                let l = Layer::BatchNorm(ops::BatchNorm {
                    a: Array1::from(vec![-1.0; hsz]),
                    b: Array1::from(vec![0.0; hsz]),
                });
                self.emit(l, vec![cand], &format!("{at}.d"))
            }
        };
        let zd = self.emit(
            Layer::Product(ops::Product),
            vec![z, back],
            &format!("{at}.zd"),
        );
        Ok(self.emit(Layer::Add(ops::Add), vec![cand, zd], &format!("{at}.h")))
    }
}
